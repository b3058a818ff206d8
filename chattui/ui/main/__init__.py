"""The main screen (:class:`~chattui.ui.main.screen.MainScreen`) and the parts it is made of."""

"""Fast rendering of chat replies: Markdown block splitting and cached Rich rendering.

See DESIGN.md "Rendering replies": replies are split into top-level blocks
(:mod:`~chattui.ui.render.blocks`), each finished block is rendered once with Rich at the pane
width (:mod:`~chattui.ui.render.markdown`), and :mod:`~chattui.ui.render.entries` turns messages
into lines for the Line-API ``ChatLog`` widget.
"""

"""Fast rendering of chat replies: cached Rich rendering of Markdown blocks, and problem wording.

See docs/ARCHITECTURE.md "Rendering replies": replies are split into top-level blocks by the core
(:mod:`~chattui.core.markdown_blocks`, shared with ``chattui ask``), each finished block is
rendered once with Rich at the pane width (:mod:`~chattui.ui.render.markdown`), and
:mod:`~chattui.ui.render.entries` turns messages into lines for the Line-API ``ChatLog`` widget.
Nothing here imports from the ``chattui.ui`` modules above it (screens, app, theming).
"""

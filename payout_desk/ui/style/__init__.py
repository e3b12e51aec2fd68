"""Look shared by every room: status colours, icons and contrast, the environment banner's styles.

Rule: no widgets with state and no other ui room; only ``domain`` below it.
"""

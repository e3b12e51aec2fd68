"""Team mode's approvals in the desk (issue 21): the queue panel, the approval and rejection dialogs."""

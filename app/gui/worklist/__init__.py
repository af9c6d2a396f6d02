"""The Việc cần làm tab: what to do next, by section (app/services/worklist.py)."""

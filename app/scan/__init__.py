"""Reading filled-in paper visit forms back from photos and scans (no Qt, no database): ``reader``
finds, identifies and straightens each page, ``marks`` reads its bubbles and boxes, ``layout`` says
where everything is printed (``app.printing.mark_sheet`` draws it). Saving is ``app.services.scanning``.
"""

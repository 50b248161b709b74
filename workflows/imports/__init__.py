"""Importing existing reviews from a spreadsheet, for councils moving to the service.

A coordinator uploads a CSV or XLSX file with one row for each notification (``columns``). The
file is read (``reading``), every row is checked (``validation``) and, only when every row is
right, each review is started through the same services as a notification entered by hand
(``services``), all in one transaction. The page (``views``) and ``manage.py import_reviews``
share all of it: they only show what it says.
"""

"""A year of national volume driven through the real engine under a controlled clock
(``manage.py simulate``)."""

"""English formats of the screens: dates with the month in letters, never 12/06/2026.

Facturier's users are French businesses; one who works in English still reads 12/06/2026 as
12 June. So dates show the day, the month's name and the year ("6 Dec 2026"), as the English
PDF documents print them (`facturier.engine.pdf.render.format_date`); times in 24 hours, as
in France; weeks begin on Monday. Amounts keep the English separators (1,234.56), as the
documents write them.

Forms accept what the screens show. The date fields of the screens are the browser's date
picker, which sends ISO dates (2026-12-06): ISO comes first, so the admin's text fields show
and take it too; "6 Dec 2026" and "6 December 2026" are accepted, and so is the day-first
06/12/2026 a French user types — never the American month-first reading.
"""

# The *_FORMAT strings use the Django date format syntax.
DATE_FORMAT = "j F Y"  # 6 December 2026
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "j F Y, H:i"  # 6 December 2026, 14:30
YEAR_MONTH_FORMAT = "F Y"  # December 2026
MONTH_DAY_FORMAT = "j F"  # 6 December
SHORT_DATE_FORMAT = "j M Y"  # 6 Dec 2026
SHORT_DATETIME_FORMAT = "j M Y, H:i"  # 6 Dec 2026, 14:30
FIRST_DAY_OF_WEEK = 1  # Monday

# The *_INPUT_FORMATS strings use the Python strftime format syntax.
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-12-06 (the date picker; first: the admin shows dates this way)
    "%d %b %Y",  # 6 Dec 2026 (what the screens show)
    "%d %B %Y",  # 6 December 2026
    "%d/%m/%Y",  # 06/12/2026, day first
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",  # 2026-12-06 14:30:59
    "%Y-%m-%d %H:%M:%S.%f",  # 2026-12-06 14:30:59.000200
    "%Y-%m-%d %H:%M",  # 2026-12-06 14:30
    "%d %b %Y, %H:%M",  # 6 Dec 2026, 14:30 (what the screens show)
    "%d %b %Y %H:%M",  # 6 Dec 2026 14:30
    "%d %B %Y, %H:%M",  # 6 December 2026, 14:30
    "%d/%m/%Y %H:%M:%S",  # 06/12/2026 14:30:59
    "%d/%m/%Y %H:%M",  # 06/12/2026 14:30
]
TIME_INPUT_FORMATS = [
    "%H:%M:%S",  # 14:30:59
    "%H:%M:%S.%f",  # 14:30:59.000200
    "%H:%M",  # 14:30
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

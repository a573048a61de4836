"""Django format modules of the screens (FORMAT_MODULE_PATH in the settings), one package per language.

Only English has one: Django's own French formats are right (06/12/2026, 6 décembre 2026,
1 234,56); its English ones are American (12/06/2026, which a French business user reads
as 12 June). A language without a package here uses Django's formats.
"""

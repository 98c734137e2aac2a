"""Pure domain logic: checklists, scoring, periods, remediation rules.

Standard library only; nothing here imports Flask, WTForms, TinyDB, pandas or
qrcode (``tests/test_architecture.py`` enforces it).
"""

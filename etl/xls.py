"""Legacy Excel 97-2003 workbooks (.xls), read through xlrd.

The readers in ``etl.sources`` speak openpyxl's read-only interface; this
module wraps an xlrd book in the few members they use, so an .xls file goes
through exactly the same code as an .xlsx one. Date cells come back as
datetimes, not as Excel's day numbers.
"""

from datetime import datetime


class XlsWorkbook:
    """An xlrd book behind openpyxl's ``sheetnames``/``worksheets``/``[name]``."""

    def __init__(self, path):
        import xlrd  # imported here: only .xls files need it

        self._book = xlrd.open_workbook(str(path), on_demand=True)
        self.sheetnames = self._book.sheet_names()

    @property
    def worksheets(self):
        return [self[name] for name in self.sheetnames]

    def __getitem__(self, name):
        return XlsSheet(self._book, self._book.sheet_by_name(name))

    def close(self):
        self._book.release_resources()


class XlsSheet:
    """One sheet, answering openpyxl's ``iter_rows(values_only=True)``."""

    def __init__(self, book, sheet):
        self._book = book
        self._sheet = sheet
        self.title = sheet.name
        self.max_row = sheet.nrows

    def iter_rows(self, min_row=1, values_only=True):
        import xlrd

        for index in range(min_row - 1, self._sheet.nrows):
            types = self._sheet.row_types(index)
            values = self._sheet.row_values(index)
            yield tuple(
                _date(value, self._book.datemode)
                if kind == xlrd.XL_CELL_DATE
                else (
                    None if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) else value
                )
                for kind, value in zip(types, values, strict=True)
            )


def _date(value, datemode):
    import xlrd

    moment = xlrd.xldate_as_datetime(value, datemode)
    if moment.time() == datetime.min.time():
        return moment.date()
    return moment

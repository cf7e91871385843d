"""The import form: the dispatch system's export, .xlsx or .csv, checked for size and type before
it is stored (the rows are checked by the worker, incidents/importing.py)."""

from pathlib import Path

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.uploads import ZIP

# A dispatch export is bigger than an attachment: 100 000 rows are ~6 MB as .xlsx, ~15 MB as CSV.
IMPORT_SIZE_FACTOR = 10


def max_import_bytes() -> int:
    return settings.FENGQIAO_MAX_UPLOAD_MB * IMPORT_SIZE_FACTOR * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("The dispatch system's export"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "An Excel workbook (.xlsx) or a CSV file of at most %(limit)s, with the columns of the "
            "template. Nothing is imported until you have seen the preview and confirmed."
        ) % {"limit": filesizeformat(max_import_bytes())}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_import_bytes():
            raise forms.ValidationError(
                _("“%(name)s” is %(size)s; an import may be at most %(limit)s.")
                % {"name": upload.name, "size": filesizeformat(upload.size),
                   "limit": filesizeformat(max_import_bytes())})
        suffix = Path(upload.name).suffix.lower()
        upload.seek(0)
        head = upload.read(2048)
        upload.seek(0)
        if suffix == ".xlsx":
            looks_right = head.startswith(ZIP)
        elif suffix == ".csv":
            looks_right = b"\x00" not in head
        else:
            raise forms.ValidationError(
                _("“%(name)s” is neither an Excel workbook (.xlsx) nor a CSV file.") % {"name": upload.name})
        if not looks_right:
            raise forms.ValidationError(
                _("“%(name)s” does not look like a %(ext)s file; it was refused.")
                % {"name": upload.name, "ext": suffix.lstrip(".").upper()})
        return upload

"""Attachment checks: size, an allow-list of extensions, and the file's first bytes must match
its extension (a renamed executable is refused)."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .choices import AttachmentKind

ZIP = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
# extension -> (kind, content type, accepted leading bytes; None = text)
ALLOWED = {
    ".jpg": (AttachmentKind.PHOTO, "image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": (AttachmentKind.PHOTO, "image/jpeg", (b"\xff\xd8\xff",)),
    ".png": (AttachmentKind.PHOTO, "image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".gif": (AttachmentKind.PHOTO, "image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": (AttachmentKind.PHOTO, "image/webp", (b"RIFF",)),
    ".pdf": (AttachmentKind.DOCUMENT, "application/pdf", (b"%PDF-",)),
    ".docx": (AttachmentKind.DOCUMENT,
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": (AttachmentKind.DOCUMENT,
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".doc": (AttachmentKind.DOCUMENT, "application/msword", OLE),
    ".xls": (AttachmentKind.DOCUMENT, "application/vnd.ms-excel", OLE),
    ".txt": (AttachmentKind.DOCUMENT, "text/plain", None),
}


def max_upload_bytes() -> int:
    return settings.FENGQIAO_MAX_UPLOAD_MB * 1024 * 1024


def check_upload(upload) -> None:
    """Validate one uploaded file; on success tag it with its kind and content type."""
    limit = max_upload_bytes()
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s; files may be at most %(limit)s.")
            % {"name": upload.name, "size": filesizeformat(upload.size),
               "limit": f"{settings.FENGQIAO_MAX_UPLOAD_MB} MB"}
        )
    suffix = Path(upload.name).suffix.lower()
    if suffix not in ALLOWED:
        raise ValidationError(
            _("“%(name)s” is not an accepted type. Accepted: photos (JPG, PNG, GIF, WebP) and "
              "documents (PDF, Word, Excel, text).") % {"name": upload.name}
        )
    kind, content_type, magic = ALLOWED[suffix]
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    if magic is None:
        ok = b"\x00" not in head
    else:
        ok = any(head.startswith(m) for m in magic)
        if suffix == ".webp":
            ok = ok and head[8:12] == b"WEBP"
    if not ok:
        raise ValidationError(
            _("“%(name)s” does not look like a %(ext)s file; it was refused.")
            % {"name": upload.name, "ext": suffix.lstrip(".").upper()}
        )
    upload.fengqiao_kind = kind
    upload.fengqiao_content_type = content_type

"""Text recognition for PDF pages without a text layer (scans): Tesseract's German model through
pytesseract, on the page's embedded images. Used when `tesseract` and its `deu` data are installed
(Debian: tesseract-ocr, tesseract-ocr-deu; `make install-tools`)."""

from __future__ import annotations

import io
import logging
import shutil
from functools import lru_cache

log = logging.getLogger(__name__)
LANGUAGE = "deu"


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether Tesseract with the German model can be run here."""
    if not shutil.which("tesseract"):
        return False
    try:
        import pytesseract

        return LANGUAGE in pytesseract.get_languages(config="")
    except Exception:  # a broken installation counts as none
        log.info("tesseract present but not usable", exc_info=True)
        return False


def recognise_page(number: int, page) -> str:
    """The text Tesseract reads in the page's images (largest first), '' when there is none."""
    import pytesseract
    from PIL import Image

    texts = []
    images = sorted(page.images, key=lambda im: -len(im.data))
    for image in images[:4]:
        picture = Image.open(io.BytesIO(image.data))
        if picture.width * picture.height < 10_000:
            continue  # a logo or a rule, not a scanned page
        text = pytesseract.image_to_string(picture.convert("L"), lang=LANGUAGE, timeout=60)
        if text.strip():
            texts.append(text)
    return "\n\n".join(texts)

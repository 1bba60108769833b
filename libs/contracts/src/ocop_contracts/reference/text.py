"""Vietnamese text helpers: one form for storing, one folded form for matching.

Vietnamese reaches us both precomposed (NFC, most keyboards) and decomposed (NFD, macOS file
names, some PDF exports). The two look identical but compare unequal, so everything we store goes
through `normalize_vi`. Search and duplicate detection need more: people type without diacritics
("Tom kho Ca Mau"), so matching goes through `fold_vi`.
"""

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

# đ is a letter of its own, not d plus a mark, so decomposition keeps it. ð (U+00F0, the casefold
# of Ð U+00D0) turns up in text converted from the legacy TCVN3/VNI encodings in place of đ.
_D_LETTERS = str.maketrans({"đ": "d", "ð": "d"})


def normalize_vi(text: str) -> str:
    """Return `text` in NFC with runs of whitespace collapsed to one space and the ends trimmed.

    Letters, case and diacritics are kept as entered: this is the storage form.
    """
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold_vi(text: str) -> str:
    """Return a matching key: casefolded, without diacritics (đ -> d), whitespace collapsed.

    `fold_vi("Tôm khô Cà Mau") == fold_vi("TOM KHO CA MAU") == "tom kho ca mau"`. Also equates the
    old and new tone placement ("Hoà" / "Hòa"). Never store the result; it loses information.
    """
    # NFKD also folds compatibility forms (full-width letters, ligatures) that pasted text carries.
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WHITESPACE.sub(" ", bare.casefold().translate(_D_LETTERS)).strip()


def name_key(text: str) -> str:
    """Return `fold_vi(text)` without spaces or punctuation, for matching unit names.

    "Bà Rịa - Vũng Tàu", "Bà Rịa–Vũng Tàu" and "ba ria vung tau" share one key.
    """
    return _NOT_ALNUM.sub("", fold_vi(text))

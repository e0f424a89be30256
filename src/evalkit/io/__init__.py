"""Registry exports in: reading, cleaning, de-identification.

>>> from evalkit import io as ekio
>>> ekio.RULES["total_row"][0], ekio.RULES["fullwidth"][0], ekio.RULES["exit_below_line"][0]
('quarantine', 'corrected', 'flag')
"""

from evalkit.io.clean import OUTPUT_FILES, RULES, CleanResult, clean, read_clean_run, rule_table, same_key
from evalkit.io.ids import IdCheck, check_character, check_id
from evalkit.io.layout import Table, locate
from evalkit.io.pseudonym import PseudonymKey, load_key, new_key_file, pseudonymize
from evalkit.io.scrub import Scrubber
from evalkit.io.sheets import Grid, detect_encoding, read_grids, sha256_of

__all__ = [
    "clean",
    "CleanResult",
    "read_clean_run",
    "rule_table",
    "same_key",
    "RULES",
    "OUTPUT_FILES",
    "check_id",
    "check_character",
    "IdCheck",
    "locate",
    "Table",
    "PseudonymKey",
    "load_key",
    "new_key_file",
    "pseudonymize",
    "Scrubber",
    "Grid",
    "read_grids",
    "detect_encoding",
    "sha256_of",
]

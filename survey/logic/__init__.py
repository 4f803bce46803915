"""The XLSForm expression language: an XPath 1.0 subset with ODK semantics, parsed, never eval'd.

``parse`` turns text into an Expression (or raises ExpressionError for the form
author), ``check`` and ``find_cycles`` find mistakes when a form is read, and
``evaluate`` computes a value from answers without ever raising.
"""

from survey.logic.checks import check
from survey.logic.cycles import find_cycles
from survey.logic.errors import ExpressionError, ExpressionMessage, Problem
from survey.logic.evaluate import evaluate, local_today
from survey.logic.functions import FUNCTIONS
from survey.logic.parser import MAX_DEPTH, parse
from survey.logic.syntax import Expression
from survey.logic.values import Value, to_number, to_string, to_value, truthy

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "Expression",
    "ExpressionError",
    "ExpressionMessage",
    "Problem",
    "Value",
    "check",
    "evaluate",
    "find_cycles",
    "local_today",
    "parse",
    "to_number",
    "to_string",
    "to_value",
    "truthy",
]

"""Reading questionnaires written as XLSForm (the KoboToolbox / ODK spreadsheet format)."""

from survey.xlsform.errors import FormError, FormInvalid, FormIssue, Severity
from survey.xlsform.model import Choice, ChoiceList, Form, Group, Page, Question
from survey.xlsform.reader import ReadResult, read_markdown_form, read_sheets, read_xlsx

__all__ = [
    "Choice",
    "ChoiceList",
    "Form",
    "FormError",
    "FormInvalid",
    "FormIssue",
    "Group",
    "Page",
    "Question",
    "ReadResult",
    "Severity",
    "read_markdown_form",
    "read_sheets",
    "read_xlsx",
]

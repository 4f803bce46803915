"""Questionnaires (XLSForm), expression logic, respondents, invitations, responses."""

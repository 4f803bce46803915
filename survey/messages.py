"""Messages the questionnaire engine shows respondents, in the seven study languages.

A form's own required_message / constraint_message columns take precedence;
these are what respondents see when the form gives none.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

LANGUAGES = ("en", "id", "ms", "fil", "de", "it", "es")


class Message(Enum):
    REQUIRED = {
        "en": "This question needs an answer.",
        "id": "Pertanyaan ini wajib dijawab.",
        "ms": "Soalan ini perlu dijawab.",
        "fil": "Kailangang sagutin ang tanong na ito.",
        "de": "Diese Frage muss beantwortet werden.",
        "it": "Questa domanda richiede una risposta.",
        "es": "Esta pregunta requiere una respuesta.",
    }
    CONSTRAINT = {
        "en": "This answer is not valid.",
        "id": "Jawaban ini tidak valid.",
        "ms": "Jawapan ini tidak sah.",
        "fil": "Hindi wasto ang sagot na ito.",
        "de": "Diese Antwort ist nicht gültig.",
        "it": "Questa risposta non è valida.",
        "es": "Esta respuesta no es válida.",
    }
    INTEGER = {
        "en": "Enter a whole number, such as 12.",
        "id": "Masukkan bilangan bulat, misalnya 12.",
        "ms": "Masukkan nombor bulat, contohnya 12.",
        "fil": "Maglagay ng buong numero, halimbawa 12.",
        "de": "Bitte eine ganze Zahl eingeben, z. B. 12.",
        "it": "Inserire un numero intero, ad esempio 12.",
        "es": "Introduzca un número entero, por ejemplo 12.",
    }
    DECIMAL = {
        "en": "Enter a number, such as 12 or 12.5.",
        "id": "Masukkan angka, misalnya 12 atau 12.5.",
        "ms": "Masukkan nombor, contohnya 12 atau 12.5.",
        "fil": "Maglagay ng numero, halimbawa 12 o 12.5.",
        "de": "Bitte eine Zahl eingeben, z. B. 12 oder 12.5.",
        "it": "Inserire un numero, ad esempio 12 o 12.5.",
        "es": "Introduzca un número, por ejemplo 12 o 12.5.",
    }
    NUMBER_TOO_LARGE = {
        "en": "This number is too large.",
        "id": "Angka ini terlalu besar.",
        "ms": "Nombor ini terlalu besar.",
        "fil": "Masyadong malaki ang numerong ito.",
        "de": "Diese Zahl ist zu groß.",
        "it": "Questo numero è troppo grande.",
        "es": "Este número es demasiado grande.",
    }
    DATE = {
        "en": "Enter a date as year-month-day, such as 2026-03-31.",
        "id": "Masukkan tanggal dengan format tahun-bulan-hari, misalnya 2026-03-31.",
        "ms": "Masukkan tarikh dalam format tahun-bulan-hari, contohnya 2026-03-31.",
        "fil": "Ilagay ang petsa bilang taon-buwan-araw, halimbawa 2026-03-31.",
        "de": "Bitte ein Datum als Jahr-Monat-Tag eingeben, z. B. 2026-03-31.",
        "it": "Inserire una data come anno-mese-giorno, ad esempio 2026-03-31.",
        "es": "Introduzca una fecha como año-mes-día, por ejemplo 2026-03-31.",
    }
    CHOICE = {
        "en": "Choose one of the options shown.",
        "id": "Pilih salah satu opsi yang tersedia.",
        "ms": "Pilih salah satu pilihan yang dipaparkan.",
        "fil": "Pumili ng isa sa mga opsiyong ipinapakita.",
        "de": "Bitte eine der angezeigten Optionen wählen.",
        "it": "Scegliere una delle opzioni indicate.",
        "es": "Elija una de las opciones mostradas.",
    }
    SINGLE_CHOICE = {
        "en": "Choose only one option.",
        "id": "Pilih hanya satu opsi.",
        "ms": "Pilih satu pilihan sahaja.",
        "fil": "Pumili lamang ng isang opsiyon.",
        "de": "Bitte nur eine Option wählen.",
        "it": "Scegliere una sola opzione.",
        "es": "Elija solo una opción.",
    }
    TOO_MANY_PICKS = {
        "en": "Choose at most {count}.",
        "id": "Pilih paling banyak {count}.",
        "ms": "Pilih paling banyak {count}.",
        "fil": "Pumili ng hindi hihigit sa {count}.",
        "de": "Bitte höchstens {count} wählen.",
        "it": "Sceglierne al massimo {count}.",
        "es": "Elija como máximo {count}.",
    }
    TEXT = {
        "en": "The answer must be text.",
        "id": "Jawaban harus berupa teks.",
        "ms": "Jawapan mestilah dalam bentuk teks.",
        "fil": "Dapat teksto ang sagot.",
        "de": "Die Antwort muss ein Text sein.",
        "it": "La risposta deve essere un testo.",
        "es": "La respuesta debe ser un texto.",
    }
    TEXT_TOO_LONG = {
        "en": "The answer is too long (at most {limit} characters).",
        "id": "Jawaban terlalu panjang (paling banyak {limit} karakter).",
        "ms": "Jawapan terlalu panjang (paling banyak {limit} aksara).",
        "fil": "Masyadong mahaba ang sagot (hindi hihigit sa {limit} karakter).",
        "de": "Die Antwort ist zu lang (höchstens {limit} Zeichen).",
        "it": "La risposta è troppo lunga (al massimo {limit} caratteri).",
        "es": "La respuesta es demasiado larga (como máximo {limit} caracteres).",
    }
    CONTROL_CHARACTER = {
        "en": "The answer contains a character that cannot be stored (a null character).",
        "id": "Jawaban berisi karakter yang tidak dapat disimpan (karakter null).",
        "ms": "Jawapan mengandungi aksara yang tidak dapat disimpan (aksara null).",
        "fil": "May karakter sa sagot na hindi maiimbak (null na karakter).",
        "de": "Die Antwort enthält ein Zeichen, das nicht gespeichert werden kann (Nullzeichen).",
        "it": "La risposta contiene un carattere che non può essere salvato (carattere nullo).",
        "es": "La respuesta contiene un carácter que no se puede guardar (carácter nulo).",
    }
    UNKNOWN_QUESTION = {
        "en": "There is no such question in this questionnaire.",
        "id": "Tidak ada pertanyaan seperti itu dalam kuesioner ini.",
        "ms": "Tiada soalan sedemikian dalam soal selidik ini.",
        "fil": "Walang ganitong tanong sa talatanungang ito.",
        "de": "Diese Frage gibt es in diesem Fragebogen nicht.",
        "it": "Questa domanda non esiste in questo questionario.",
        "es": "Esa pregunta no existe en este cuestionario.",
    }
    NOT_ANSWERABLE = {
        "en": "This item takes no answer.",
        "id": "Butir ini tidak memerlukan jawaban.",
        "ms": "Item ini tidak memerlukan jawapan.",
        "fil": "Hindi sinasagutan ang bahaging ito.",
        "de": "Dieser Eintrag nimmt keine Antwort an.",
        "it": "Questa voce non prevede una risposta.",
        "es": "Este elemento no admite respuesta.",
    }

    def text(self, language: str, **values: Any) -> str:
        """The message in a language code (``ms``) or label (``Bahasa Melayu (ms)``)."""
        from survey.xlsform.model import language_code

        texts: dict[str, str] = self.value
        template = texts.get(language_code(language).lower()) or texts["en"]
        return template.format(**values)

"""The seed documents' own requests, copied verbatim (bodies byte for byte, as their
integrators send them)."""

# seed 000: the report of every dispatch, and of one
SEED000_ALL = "/api/v1/dispatch-reports/"
SEED000_ONE = "/api/v1/dispatch-reports/08bc9620-c0e6-45a7-97ca-bbbf94a04bdf/"
SEED000_KEYS = ["id", "start_datetime", "end_datetime", "message_text", "filter_mobile_operator_code__code",
                "filter_tag__code", "created", "completed", "error", "timeout"]

# seed 001: create a dispatch
SEED001_PATH = "/api/v1/dispatches/"
SEED001_BODY = """{
  "timezone": "Africa/Abidjan",
  "start_datetime": "2024-01-21T15:26:34.459Z",
  "end_datetime": "2024-01-21T15:26:34.459Z",
  "message_text": "Привет, мир!",
  "filter_mobile_operator_code": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  "filter_tag": "3fa85f64-5717-4562-b3fc-2c963f66afa6"
}"""
SEED001_ANSWER_KEYS = ["id", "status", "start_datetime", "end_datetime", "message_text",
                       "filter_mobile_operator_code", "filter_tag"]

# seed 002: clients and mailings (its mailing example is missing a comma, as published)
SEED002_CLIENT = """{
    "phone":"78218173218",
    "operator_code":"123",
    "timezone":"timezone"
}"""
SEED002_MAILING = """{
    "start_time":"2022-12-02T16:50:00Z",
    "text":"hello",
    "client_tag_filter":"VIP"
    "end_time":"2028-11-20"
}"""

# seed 003: form-encoded, as curl -d sends them
SEED003_TOKEN = "f3a527cd037b3a1e4d41f9e1afd7db26b6ba9cda"
SEED003_CLIENT = "phone_number=79774053329"
SEED003_CLIENT_PATCH = "phone_number=79774053328"
SEED003_MAILING = "datetime_end=2022-08-20T21:42:16&datetime_start=2022-08-22T22:42:16&message_text=123123123"
SEED003_MAILING_PATCH = "datetime_end=2022-08-22T22:42:16"

"""E-mail notifications: to legal about statutory deadlines, waiting runs and answers; to
recipients with their questionnaire link and reminders before it expires.

    messages.py   what each mail says, in the reader's language, and when a reminder is due
                  (pure: facts and dates in, text out)
    smtp.py       DTIA_SMTP_URL read and one message sent (the only module that talks SMTP)
    service.py    the Notifier: looks up who to write to, sends, and records every mail in
                  the register's ``notifications`` table, so a reminder goes out once

Nothing is sent when DTIA_SMTP_URL is not set. A mail that cannot be sent never fails the
run, page or command that wanted it: it is logged on one line and recorded as failed.
"""

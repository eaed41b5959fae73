"""The development email backend (EMAIL_URL=console://): Django's console backend, masked.

Django's own prints the whole MIME message, recipient, links and the .ics with the visit in it,
to a terminal or a worker log. This one prints what a developer needs to follow a send (the
Message-ID, masked recipients, the subject, the text with links replaced, attachment names)
and nothing that reaches or identifies a patient (core.masking)."""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend

from core.masking import mask_email, mask_text


class MaskedConsoleEmailBackend(ConsoleEmailBackend):
    def write_message(self, message) -> None:
        attachments = [
            getattr(item, "filename", None) or (item[0] if isinstance(item, tuple) else "inline part") for item in message.attachments
        ]
        lines = [
            f"--- Email {message.extra_headers.get('Message-ID', '')} ---",
            f"To: {', '.join(mask_email(address) for address in message.recipients())}",
            f"Subject: {mask_text(message.subject)}",
            "",
            mask_text(message.body),
        ]
        if getattr(message, "alternatives", None):
            lines.append(f"[{len(message.alternatives)} alternative part(s): {', '.join(alt[1] for alt in message.alternatives)}]")
        if attachments:
            lines.append(f"[attachments: {', '.join(str(name) for name in attachments)}]")
        self.stream.write("\n".join(lines) + "\n" + "-" * 79 + "\n")

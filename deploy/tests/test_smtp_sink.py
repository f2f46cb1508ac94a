from __future__ import annotations

import mailbox
import os
import signal
import smtplib
import sys
import time
from email.message import EmailMessage
from pathlib import Path

from guichet_deploy.procs import exit_code, free_port, port_answers, spawn_detached, wait_for_exit


def test_the_sink_files_each_message_in_a_maildir_and_stops_on_sigterm(tmp_path: Path) -> None:
    port, maildir, log_file = free_port(), tmp_path / "maildir", tmp_path / "smtp.log"
    pid = spawn_detached(
        [
            sys.executable,
            "-m",
            "guichet_deploy.smtp_sink",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--maildir",
            str(maildir),
        ],
        log_file,
    )
    deadline = time.monotonic() + 15
    while not port_answers(port):
        assert time.monotonic() < deadline, log_file.read_text()
        time.sleep(0.05)
    message = EmailMessage()
    message["From"] = "guichet@example.org"
    message["To"] = "applicant.person@example.com"
    message["Subject"] = "Your claim"
    message.set_content("Received.")

    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)

    stored = list(mailbox.Maildir(maildir).values())
    assert [m["Subject"] for m in stored] == ["Your claim"]
    assert stored[0]["To"] == "applicant.person@example.com"
    os.kill(pid, signal.SIGTERM)
    assert wait_for_exit(pid, 10)
    assert exit_code(pid) == 0
    log_text = log_file.read_text()
    assert "mail_stored" in log_text
    assert "applicant.person" not in log_text

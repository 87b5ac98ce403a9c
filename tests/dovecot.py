"""A private Dovecot IMAP server for the tests: own config, loopback, TLS with a test CA.

What a Dovecot for tests needs: its own base_dir and state_dir (never the system's),
mail access as an unprivileged user when run as root, no anvil penalty after a failed
login (tests log in wrongly on purpose), output to a file (never a pipe, which fills
and blocks it), seeding with doveadm.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from demo.smtp import free_port

USER, PASSWORD = "pole", "test-password-not-secret"


@dataclass
class Dovecot:
    root: Path
    port: int  # plain IMAP (loopback only)
    tls_port: int  # IMAPS
    ca_file: Path
    process: subprocess.Popen

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    def doveadm(self, *args: str, data: bytes | None = None) -> str:
        done = subprocess.run(["doveadm", "-c", str(self.config), *args], input=data,
                              capture_output=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)}: {done.stderr.decode()}")
        return done.stdout.decode()

    def deliver(self, raw: bytes, folder: str = "INBOX", received: datetime | None = None) -> None:
        """Put a message in `folder`; `received` sets the time the server says it got it
        (INTERNALDATE), as on a mail delivered days before the worker reads it."""
        if received is None:
            self.doveadm("save", "-u", USER, "-m", folder, data=raw)
            return
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        client.append(folder, raw, msg_time=received)
        client.logout()

    def uids(self, folder: str) -> list[int]:
        out = self.doveadm("search", "-u", USER, "mailbox", folder, "ALL")
        return [int(line.split()[1]) for line in out.splitlines() if line.strip()]

    def set_uidvalidity(self, value: int, folder: str = "INBOX") -> None:
        self.doveadm("mailbox", "update", "--uid-validity", str(value), "-u", USER, folder)

    def kick(self) -> None:
        """Cut every open session of the test user, as a dropped connection would."""
        self.doveadm("kick", USER)

    def restart(self) -> None:
        """Stop and start again on the same ports: every client connection is cut."""
        self.stop()
        with open(self.root / "master.out", "ab") as log:
            self.process = subprocess.Popen(["dovecot", "-F", "-c", str(self.config)],
                                            stdout=log, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.process, self.root)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(root: Path) -> Dovecot:
    if shutil.which("dovecot") is None:
        raise RuntimeError("Dovecot is not installed (apt-get install dovecot-imapd); "
                           "`make test` installs it")
    root.mkdir(parents=True, exist_ok=True)
    mail = root / "mail"
    mail.mkdir(exist_ok=True)
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    if os.geteuid() == 0:
        # As root, mail access must run as an unprivileged user.
        run_user, run_group = "nobody", "nogroup"
        internal, login = "dovecot", "dovenull"
        uid = pwd.getpwnam("nobody").pw_uid
        for path in (root, mail):
            os.chown(path, uid, -1)
        chroot = ""
    else:
        run_user = run_group = internal = login = pwd.getpwuid(os.geteuid()).pw_name
        chroot = "chroot ="
    port, tls_port = free_port(), free_port()
    (root / "dovecot.conf").write_text(f"""
instance_name = saisine-test-{port}
base_dir = {root}/run
state_dir = {root}/state
listen = 127.0.0.1
protocols = imap
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{mail}/%u:LAYOUT=fs
mail_uid = {run_user}
mail_gid = {run_group}
default_internal_user = {internal}
default_login_user = {login}
mailbox_idle_check_interval = 1 secs
passdb {{
  driver = passwd-file
  args = {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
  default_fields = uid={run_user} gid={run_group} home={mail}/%u
}}
service imap-login {{
  {chroot}
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  {chroot}
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
""")
    # The master keeps its output open: a file, never a pipe (a pipe would hang us).
    with open(root / "master.out", "wb") as log:
        process = subprocess.Popen(["dovecot", "-F", "-c", str(root / "dovecot.conf")],
                                   stdout=log, stderr=subprocess.STDOUT)
    _wait_for_port(port, process, root)
    return Dovecot(root, port, tls_port, cert, process)


def _wait_for_port(port: int, process: subprocess.Popen, root: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError as err:
            if process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {(root / 'master.out').read_text()}") \
                    from err
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("dovecot did not start within 15 s")


def worker_config(path: Path, dovecot: Dovecot, smtp_port: int, data_dir: Path,
                  allowed: tuple[str, ...] = ("ac-grenoble.fr",), top: str = "",
                  database_url: str = "") -> Path:
    """A settings file for a worker process using this Dovecot and a loopback SMTP server;
    the password goes in the environment (`worker_env`)."""
    domains = ", ".join(f'"{d}"' for d in allowed)
    path.write_text(f"""{top}
[circonscription]
sender = "pole.ressource@circo-test.fr"
alert_to = ["ien.voiron@ac-grenoble.fr"]
allowed_domains = [{domains}]
[storage]
data_dir = "{data_dir}"
database_url = "{database_url}"
[imap]
host = "127.0.0.1"
port = {dovecot.tls_port}
security = "tls"
username = "{USER}"
ca_file = "{dovecot.ca_file}"
[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
""")
    return path


def worker_env() -> dict[str, str]:
    return {**os.environ, "SAISINE_IMAP__PASSWORD": PASSWORD}

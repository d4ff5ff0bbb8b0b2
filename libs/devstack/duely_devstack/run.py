"""`make run`: the whole platform on the embedded defaults, until Ctrl-C.

    python -m duely_devstack.run [--var var]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from duely_devstack.platform import SERVICES, Platform, PlatformConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--var", default="var", help="state directory (SQLite files, mail, SMS, logs)")
    args = parser.parse_args()
    config = PlatformConfig.from_environment(os.environ, Path(args.var))
    platform = Platform(config)
    stopping = False

    def request_stop(*_):
        nonlocal stopping
        stopping = True
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    print("Starting Duely (broker, SMTP and SMS catchers, sandbox gateway, 5 services, API gateway)...", flush=True)
    try:
        platform.start()
        demo = platform.seed_demo_org()
        print(banner(config, demo, platform.env()), flush=True)
        while not stopping:
            for name, proc in list(platform.procs.items()):
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; see {platform.log_path(name)}", flush=True)
                    stopping = True
            time.sleep(0.5)
    except Exception as exc:
        print(f"start failed: {exc}", file=sys.stderr, flush=True)
        platform.stop()
        sys.exit(1)
    print("\nStopping every process...", flush=True)
    platform.stop()
    print("Stopped. State is kept in", config.var_dir, flush=True)


def banner(config: PlatformConfig, demo: dict, env: dict[str, str]) -> str:
    services = "\n".join(f"  {s:<14} {config.url(s)}  (ops: {config.url(s)}/ops)" for s in SERVICES)
    mail = (f"{config.maildir}  (Maildir; every email sent lands here)" if config.start_smtp
            else f"your SMTP relay {env.get('SMTP_HOST', env.get('DUELY_NOTIFICATIONS_SMTP_HOST', '127.0.0.1'))}:"
                 f"{env.get('SMTP_PORT', env.get('DUELY_NOTIFICATIONS_SMTP_PORT', '1025'))}")
    sms = (f"{config.smsdir}  (one JSON file per SMS; list: {config.sms_url}/messages)" if config.start_sms
           else f"your provider ({env.get('DUELY_NOTIFICATIONS_SMS_PROVIDER', 'none')})")
    stripe = (f"http://127.0.0.1:{config.stripe_port} (sandbox)" if config.start_sandbox
              else env.get("DUELY_PAYMENTS_STRIPE_API_BASE", env.get("DUELY_STRIPE_API_BASE")) or "Stripe's API")
    owner = demo.get("owner")
    dashboard = f"{config.url('gateway')}/dashboard"
    sign_in = (f"{dashboard}  (sign in as {owner['email']} / {owner['password']})" if owner else
               f"{dashboard}  (this demo organization predates dashboard users: `make clean` recreates it "
               "with an owner)")
    broker = config.bootstrap if config.start_broker else f"{env['DUELY_KAFKA_BOOTSTRAP_SERVERS']} (yours)"
    return f"""
Duely is running.

  API base URL    {config.url('gateway')}
  Dashboard       {sign_in}
  Ops home        {config.url('gateway')}/ops
  Demo org        {demo['name']} ({demo['organization_id']})
  Demo API key    {demo['api_key']}
  Mail            {mail}
  SMS             {sms}
  Card gateway    {stripe}
  Broker          {broker}
  Logs            {config.var_dir / 'logs'}

Services (each also answers on its own port):
{services}

Try:  curl -s {config.url('gateway')}/v1/customers -H "Authorization: Bearer {demo['api_key']}"
Press Ctrl-C to stop.
"""


if __name__ == "__main__":
    main()

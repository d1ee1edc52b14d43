"""benches/load_vs_peers.sh: locust's fast client against nginx's static balance answer.

One GET per task, no wait: the body is read (FastHttpUser does) but not parsed, as for
raw goose, oha and wrk. OBH_BENCH_PATH is the path, with its query string.
"""

import os

from locust import FastHttpUser, constant, task

PATH = os.environ.get(
    "OBH_BENCH_PATH",
    "/v2.0/account/balance/fin_num?bank_tran_id=M202601315U000000001"
    "&fintech_use_num=120220000000000000000001&tran_dtime=20260301101010",
)


class Balance(FastHttpUser):
    wait_time = constant(0)

    @task
    def balance(self):
        self.client.get(PATH, name="balance")

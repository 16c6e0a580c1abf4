"""The job worker: heartbeat, periodic schedule and the django-tasks database queue.

``manage.py run_worker`` runs until stopped (SIGINT/SIGTERM finish the current task first).
Run as many as you like (each with its own --worker-id): periodic runs and queued tasks are
claimed with row locks, so nothing runs twice.
"""

import logging
import os
import signal
import socket
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from salesflow.core import jobs
from salesflow.core.context import job_context

logger = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Beats every ``interval`` seconds from its own thread (and database connection), so a
    long task does not make /healthz think the worker died."""

    def __init__(self, worker_id: str, interval: float = 20.0):
        super().__init__(name="salesflow-heartbeat", daemon=True)
        self.worker_id, self.interval = worker_id, interval
        self.stopped = threading.Event()

    def run(self):
        from django.db import connection

        while not self.stopped.wait(self.interval):
            try:
                jobs.heartbeat(self.worker_id)
            except Exception:  # keep beating; the next try may succeed
                logger.exception("heartbeat failed")
            finally:
                connection.close()


class Command(BaseCommand):
    help = "Run the background job worker (schedule + task queue)."

    def add_arguments(self, parser):
        parser.add_argument("--worker-id", default=f"{socket.gethostname()}-{os.getpid()}")
        parser.add_argument(
            "--interval",
            type=float,
            default=2.0,
            help="seconds to wait when there is nothing to do",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="one round (heartbeat, schedule, run ready tasks) and exit",
        )

    def handle(self, *, worker_id, interval, once, **options):
        self.running = True

        def stop(signum, frame):
            # Finish the task that is running, then leave (no new task is started).
            self.running = False
            queue.running = False

        queue = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id[:64],
            excluded_queue_names=[],
        )
        if not once:
            signal.signal(signal.SIGINT, stop)
            signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"salesflow worker {worker_id} started")
        heartbeat = Heartbeat(worker_id)
        if not once:
            heartbeat.start()
        while self.running:
            close_old_connections()
            # One work context per round: audit entries of the round share a request id and
            # settings/calendar reads are memoised for the round only.
            with job_context(f"worker:{worker_id}"):
                jobs.heartbeat(worker_id)
                enqueued = jobs.schedule_tick()
                if enqueued:
                    self.stdout.write("enqueued: " + ", ".join(enqueued))
                queue.run()  # batch mode: runs every ready task, then returns
            if once:
                break
            time.sleep(interval)
        heartbeat.stopped.set()
        self.stdout.write(f"salesflow worker {worker_id} stopped")

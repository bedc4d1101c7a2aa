"""Benchmark callback (not shipped): seconds of each task, from its start to its result.

The time a task costs on the controller's clock: worker start, module build and transfer,
interpreter start, the module's run and its result. Appended as "<task name>\t<seconds>" lines
to the file named by BENCH_TASK_SECONDS.
"""
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_seconds"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._started = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._started[task._uuid] = time.perf_counter()

    def _done(self, result):
        seconds = time.perf_counter() - self._started[result._task._uuid]
        with open(os.environ["BENCH_TASK_SECONDS"], "a") as handle:
            handle.write("%s\t%.6f\n" % (result._task.get_name(), seconds))

    v2_runner_on_ok = _done
    v2_runner_on_failed = _done

"""Per-step monitoring during Model.train: progress lines with lr and ETAs, non-finite detection.

Epoch means are summed on the device by the training cell (``TrainStep.stats``); this callback only watches the
outputs it is given: every step in normal mode, once per sink in dataset sink mode.
"""
import signal
import threading
import time

import numpy as np
from mindspore.train import Callback

from ats_ms.utils import logs


class StopRequest:
    """Ctrl-C and SIGTERM while a run trains, acted on at safe points (``check``: after a step, after an epoch's
    files): the interrupted run keeps its last resume file whole. MindSpore's runtime turns a SIGINT that arrives
    during a graph step into SIGTERM, hence both. A second signal interrupts at once. Handlers are set in the main
    thread only and restored on exit."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.requested, self.previous = False, {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = {sig: signal.signal(sig, self._handle) for sig in self.SIGNALS}
        return self

    def __exit__(self, *exc):
        defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
        for sig, handler in self.previous.items():
            signal.signal(sig, handler if handler is not None else defaults[sig])
        return False

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def check(self):
        """Raise KeyboardInterrupt when a stop was requested."""
        if self.requested:
            raise KeyboardInterrupt


class StepMonitor(Callback):
    """Progress lines, the first non-finite step of each run of a pack, and the end of each epoch.

    One monitor serves a whole ``Model.train`` call, one epoch (normal mode) or several (dataset sink mode); the
    run's epoch is ``first_epoch`` plus MindSpore's epoch of the call.

    Args:
        steps (int): steps per epoch.
        images_per_step (int): global batch size (for img/s).
        print_every (int): progress line every N steps (0: never).
        emit (callable): receives each output line.
        lrs (ndarray): per-step learning rates of the run (index: epoch * steps + step).
        epoches (int): epochs of the run (for its ETA).
        stop_on_nonfinite (bool): request a stop at the first non-finite loss (one run, ``--on_nan stop``).
        epoch_end (callable | None): ``epoch_end(epoch index, monitor)`` after each epoch; True stops the training.
        first_epoch (int): 0-based epoch of the run at which this ``Model.train`` call starts (its epoch 1).
        epoch_begin (callable | None): ``epoch_begin(1-based epoch)`` before each epoch's first step (it sets the
            losses' epoch-dependent factors: DKD's warm-up, CTKD's gradient reversal).
        stop (StopRequest | None): checked after each step and after each epoch's bookkeeping.
    """

    def __init__(self, steps, images_per_step, print_every, emit, lrs, epoches, stop_on_nonfinite=False,
                 epoch_end=None, first_epoch=0, epoch_begin=None, stop=None):
        super().__init__()
        self.steps, self.images_per_step = steps, images_per_step
        self.print_every, self.emit = print_every, emit
        self.lrs, self.epoches = lrs, epoches
        self.stop_on_nonfinite, self.epoch_end, self.epoch_begin = stop_on_nonfinite, epoch_end, epoch_begin
        self.stop = stop
        self.first_epoch = first_epoch
        self.epoch, self.first_nonfinite = first_epoch + 1, {}
        self.epochs_done = first_epoch  # the run's epochs finished when this call ends
        self.start = self._tick = time.time()
        self._tick_step = 0

    def on_train_epoch_begin(self, run_context):
        self.epoch = self.first_epoch + int(run_context.original_args().cur_epoch_num)
        if self.epoch_begin is not None:
            self.epoch_begin(self.epoch)
        self.first_nonfinite = {}
        self.start = self._tick = time.time()
        self._tick_step = 0

    def on_train_step_end(self, run_context):
        if self.stop is not None:
            self.stop.check()
        params = run_context.original_args()
        losses, _, finite = (np.atleast_1d(x.asnumpy()) for x in params.net_outputs)
        step = (int(params.cur_step_num) - 1) % self.steps + 1
        for k in np.flatnonzero(~(finite & np.isfinite(losses))):
            self.first_nonfinite.setdefault(int(k), step)
        if self.stop_on_nonfinite and self.first_nonfinite:
            run_context.request_stop()
            return
        if self.print_every and step % self.print_every == 0:
            now = time.time()
            rate = (step - self._tick_step) * self.images_per_step / max(now - self._tick, 1e-9)
            per_step = (now - self.start) / step
            eta_epoch = per_step * (self.steps - step)
            eta_run = eta_epoch + per_step * self.steps * (self.epoches - self.epoch)
            lr = float(self.lrs[min((self.epoch - 1) * self.steps + step - 1, len(self.lrs) - 1)])
            self.emit(logs.progress_line(self.epoch, step, self.steps, [float(v) for v in losses], lr, rate,
                                         eta_epoch, eta_run))
            self._tick, self._tick_step = now, step

    def on_train_epoch_end(self, run_context):
        self.epochs_done = self.epoch
        if self.epoch_end is not None and self.epoch_end(self.epoch - 1, self):
            run_context.request_stop()
        if self.stop is not None:
            self.stop.check()

"""Per-step monitoring during Model.train: epoch means (demo semantics), progress lines, non-finite detection."""
import math
import time

from mindspore.train import Callback

from ats_ms.utils import logs


class StepMonitor(Callback):
    """Collects (loss, batch accuracy, finite) of every step; prints progress; handles non-finite losses.

    Args:
        epoch (int): 1-based epoch number (for messages).
        steps (int): steps per epoch.
        images_per_step (int): global batch size (for img/s).
        print_every (int): progress line every N steps (0: never).
        emit (callable): prints one line.
        skip_nonfinite (bool): the train step skipped non-finite batches (count them); else request a stop.
    """

    def __init__(self, epoch, steps, images_per_step, print_every, emit, skip_nonfinite=False):
        super().__init__()
        self.skip_nonfinite = skip_nonfinite
        self.epoch, self.steps, self.images_per_step = epoch, steps, images_per_step
        self.print_every, self.emit = print_every, emit
        self.losses, self.accs = [], []
        self.skipped = 0
        self.non_finite = None
        self._tick, self._tick_step = time.time(), 0

    def on_train_step_end(self, run_context):
        params = run_context.original_args()
        loss, acc, finite = (x.asnumpy() for x in params.net_outputs)
        step = int(params.cur_step_num)
        loss_value = float(loss)
        if not (bool(finite) and math.isfinite(loss_value)):
            if not self.skip_nonfinite:
                self.non_finite = (step, loss_value)
                run_context.request_stop()
                return
            self.skipped += 1
        else:
            self.losses.append(loss_value)
            self.accs.append(float(acc))
        if self.print_every and step % self.print_every == 0:
            now = time.time()
            rate = (step - self._tick_step) * self.images_per_step / max(now - self._tick, 1e-9)
            self.emit(logs.progress_line(self.epoch, step, self.steps, loss_value, rate))
            self._tick, self._tick_step = now, step

    def mean_loss(self):
        return sum(self.losses) / len(self.losses) if self.losses else float("nan")

    def mean_acc(self):
        return sum(self.accs) / len(self.accs) if self.accs else 0.0

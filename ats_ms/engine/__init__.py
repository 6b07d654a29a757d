"""Training engine: learning-rate recipes, optimizer, the fused train step of one run or a pack of students sharing a
teacher, the frozen teacher, resume state, output policy, callbacks and the trainer (configs and checkpoint records:
``ats_ms.config``)."""

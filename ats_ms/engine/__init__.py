"""Training engine: learning-rate recipes, optimizer, the distillation train network, callbacks and the trainer."""

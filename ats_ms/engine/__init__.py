"""Training engine: learning-rate recipes, optimizer, the fused train step of one run or a pack of students sharing a
teacher, checkpoint records, resume state, output policy, callbacks and the trainer."""

#!/usr/bin/env bash
# Distill ResNet14 and ResNet110 into VGG8 with ATS, tp_tau 4 / t_tau 2 (the demo's run_ats.sh; its log name is
# student-kd-ats.log here, where the demo reused student-kd-ts.log). Needs run_teacher.sh first.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
for T in 14 110; do
  echo "Distill knowledge of teacher network ResNet$T to student network VGG8 using ATS (tp_tau > t_tau) on CIFAR-100"
  ats distill --dataset cifar100 --data_dir "$DATA_DIR" --download True --n_classes 100 --t_net ResNet --t_n_layer "$T" --t_net_name "ResNet$T" --net VGG --n_layer 8 --net_name VGG8 --kd_way ATS --lamb 0.5 --tp_tau 4.0 --t_tau 2.0 --s_tau 1.0 --epoches "$EPOCHES" --lr 0.03 --momentum 0.9 --batch_size 128 --ckpt_dir ./ckpts --log_dir ./logs --log_name student-kd-ats.log --ckpt_name "cifar100-ResNet$T-VGG8-ATS.ckpt" --device_target "$DEVICE" "$@"
done

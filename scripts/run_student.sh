#!/usr/bin/env bash
# Train the student VGG8 on CIFAR-100 without KD (the demo's run_student.sh).
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
echo "Train student network VGG8 on CIFAR-100 without KD"
ats classify --dataset cifar100 --data_dir "$DATA_DIR" --download True --n_classes 100 --net VGG --n_layer 8 --net_name VGG8 --epoches "$EPOCHES" --lr 0.03 --momentum 0.9 --batch_size 128 --ckpt_dir ./ckpts --log_dir ./logs --log_name student-nokd.log --ckpt_name cifar100-VGG8.ckpt --device_target "$DEVICE" "$@"

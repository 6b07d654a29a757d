#!/usr/bin/env bash
# Train the teachers ResNet14 and ResNet110 on CIFAR-100 (the demo's run_teacher.sh). EPOCHES=240 for real training.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
echo "Train teacher network ResNet14 on CIFAR-100"
ats classify --dataset cifar100 --data_dir "$DATA_DIR" --download True --n_classes 100 --net ResNet --n_layer 14 --net_name ResNet14 --epoches "$EPOCHES" --lr 0.03 --momentum 0.9 --batch_size 128 --ckpt_dir ./ckpts --log_dir ./logs --log_name teacher.log --ckpt_name cifar100-ResNet14.ckpt --device_target "$DEVICE" "$@"
echo "Train teacher network ResNet110 on CIFAR-100"
ats classify --dataset cifar100 --data_dir "$DATA_DIR" --download True --n_classes 100 --net ResNet --n_layer 110 --net_name ResNet110 --epoches "$EPOCHES" --lr 0.03 --momentum 0.9 --batch_size 128 --ckpt_dir ./ckpts --log_dir ./logs --log_name teacher.log --ckpt_name cifar100-ResNet110.ckpt --device_target "$DEVICE" "$@"

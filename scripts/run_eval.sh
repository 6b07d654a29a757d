#!/usr/bin/env bash
# Top-1/top-5 on the CIFAR-100 test split of the teachers and of every student the demo scripts produce (those present).
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
for pair in ResNet14:cifar100-ResNet14 ResNet110:cifar100-ResNet110 VGG8:cifar100-VGG8 \
            VGG8:cifar100-ResNet14-VGG8-TS VGG8:cifar100-ResNet110-VGG8-TS \
            VGG8:cifar100-ResNet14-VGG8-ATS VGG8:cifar100-ResNet110-VGG8-ATS; do
  net="${pair%%:*}"; name="${pair#*:}.ckpt"
  [ -f "./ckpts/$name" ] || { echo "skip ./ckpts/$name (not found)"; continue; }
  ats eval --dataset cifar100 --data_dir "$DATA_DIR" --download False --n_classes 100 --net_name "$net" --ckpt_dir ./ckpts --ckpt_name "$name" --device_target "$DEVICE" "$@"
done

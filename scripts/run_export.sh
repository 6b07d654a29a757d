#!/usr/bin/env bash
# Export the ATS students to MINDIR (the demo's run_export.sh): ./ckpts/cifar100-ResNet{14,110}-VGG8-ATS_mindir.mindir
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
echo "export mindir models after distillation with ATS"
for T in 14 110; do
  ats export --device "$DEVICE" --device_id 0 --n_classes 100 --t_net_name "ResNet$T" --net_name VGG8 --ckpt_dir ./ckpts --ckpt_name "cifar100-ResNet$T-VGG8-ATS.ckpt" "$@"
done

"""The main job's data plans (``python -m ats_ms demo --plan``): dataset, networks, epochs and sizes of each.

A leaf module (imports nothing of ats_ms), so the flag table can list the plan names without importing the demo.
"""
PLANS = {
    "digits": {"dataset": "digits", "n_classes": 10, "small": "ResNet14", "large": "ResNet32", "student": "ResNet8",
               "teacher_epochs": 5, "student_epochs": 6, "batch_size": 64, "lr": 0.05, "max_train": 0,
               "max_test": 0},
    "cifar100": {"dataset": "cifar100", "n_classes": 100, "small": "ResNet14", "large": "ResNet32",
                 "student": "ResNet8", "teacher_epochs": 4, "student_epochs": 3, "batch_size": 128, "lr": 0.05,
                 "max_train": 5000, "max_test": 1000},
}

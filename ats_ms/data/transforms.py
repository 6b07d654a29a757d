"""The two transform recipes, as MindSpore C++ vision ops, and the normalisations.

``crop`` (small images: CIFAR, digits, Tiny ImageNet): resize to ``size`` x ``size`` if the images differ from it,
then for training RandomCrop(size, padding=size/8) and a horizontal flip (at 32x32: RandomCrop(32, 4), the paper's).
``resized-crop`` (larger images: torchvision's ImageNet recipe): for training RandomResizedCrop(size) (scale 0.08-1,
ratio 3/4-4/3, bilinear) and a flip; for evaluation Resize(size * 8 / 7) of the shorter side, then
CenterCrop(size) (224: Resize(256), CenterCrop(224)). Both end with Normalize and HWC->CHW. Files are decoded by
the first op, inside the pipeline's workers (training with ``resized-crop`` decodes and crops in one op,
RandomCropDecodeResize, which decodes only the crop of a JPEG).
"""
NORMALIZATIONS = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "cifar": ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
}
RESIZE_RATIO = 8 / 7


def eval_resize(size):
    """The shorter side ``resized-crop`` resizes to before its centre crop (256 for 224, as torchvision)."""
    return int(round(size * RESIZE_RATIO))


def crop_ops(size, train, decode, stored_size):
    """``crop``: decode, resize to size x size unless the stored images have that size, RandomCrop with padding
    size/8 and a flip for training."""
    import mindspore.dataset.vision as V
    ops = [V.Decode()] if decode else []
    ops += [V.Resize((size, size))] if stored_size != size else []
    return ops + ([V.RandomCrop(size, padding=size // 8), V.RandomHorizontalFlip()] if train else [])


def resized_crop_ops(size, train, decode, stored_size):
    """``resized-crop``: RandomResizedCrop and a flip for training (decoding only the crop of a file); Resize of
    the shorter side to size * 8/7 and CenterCrop for evaluation."""
    import mindspore.dataset.vision as V
    if train:
        crop = V.RandomCropDecodeResize(size) if decode else V.RandomResizedCrop(size)
        return [crop, V.RandomHorizontalFlip()]
    return ([V.Decode()] if decode else []) + [V.Resize(eval_resize(size)), V.CenterCrop(size)]


RECIPES = {"crop": crop_ops, "resized-crop": resized_crop_ops}  # name -> ops(size, train, decode, stored_size)


def image_ops(recipe, size, train, decode=False, stored_size=None, normalize="cifar"):
    """The vision ops of one recipe, from the stored image (encoded bytes with ``decode``) to a normalised CHW image.

    Args:
        recipe (str): a key of ``RECIPES`` (``crop`` or ``resized-crop``).
        size (int): output height and width.
        train (bool): training augmentation (random crop and flip) or evaluation.
        decode (bool): the input is an encoded image file (bytes), decoded here to RGB.
        stored_size (int | None): height = width of in-memory images (``crop`` resizes only when it differs
            from ``size``); None for files, whose sizes vary (always resized).
        normalize (str): a key of ``NORMALIZATIONS``.

    Returns:
        list of mindspore.dataset.vision ops mapping the ``image`` column to float32 (3, size, size).
    """
    import mindspore.dataset.vision as V
    mean, std = NORMALIZATIONS[normalize]
    return RECIPES[recipe](size, train, decode, stored_size) + [
        V.Normalize([255 * m for m in mean], [255 * s for s in std]), V.HWC2CHW()]

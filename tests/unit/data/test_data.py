"""Data: both CIFAR layouts, refusal of unsafe/truncated files, digits, the pipeline, and the download path."""
import hashlib
import http.server
import io
import os
import pickle
import tarfile
import threading

import numpy as np
import pytest

from cifar_fixtures import write_binary_layout, write_python_layout

ms = pytest.importorskip("mindspore")

from ats_ms.data import create_dataset, load_arrays  # noqa: E402
from ats_ms.data.cifar import find_layout, official_binary  # noqa: E402
from ats_ms.data.digits import load_digits  # noqa: E402
from ats_ms.data.download import download_cifar  # noqa: E402
from ats_ms.data.pipeline import open_split, worker_count  # noqa: E402


@pytest.mark.parametrize("name", ["cifar100", "cifar10"])
@pytest.mark.parametrize("layout", ["python", "binary"])
def test_layouts_read_exactly(tmp_path, name, layout):
    writer = write_python_layout if layout == "python" else write_binary_layout
    _, files = writer(str(tmp_path), name)
    assert find_layout(name, str(tmp_path)) == layout
    test_file = [f for f in files if "test" in f][0]
    data, labels = files[test_file]
    images, got_labels = load_arrays(name, str(tmp_path), "test")
    assert images.shape == (len(labels), 32, 32, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(got_labels, labels)
    assert got_labels.dtype == np.int32
    train_images, _ = load_arrays(name, str(tmp_path), "train")
    assert len(train_images) == sum(len(v[1]) for k, v in files.items() if "test" not in k)


def test_pipeline_columns_and_normalisation(tmp_path):
    _, files = write_binary_layout(str(tmp_path), "cifar10")
    data, labels = files["test_batch.bin"]
    for normalize, (mean, std) in {"imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
                                   "cifar": ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010))}.items():
        dataset = create_dataset("cifar10", str(tmp_path), "test", 5, normalize=normalize)
        image, label = next(dataset.create_tuple_iterator(output_numpy=True))
        assert image.shape == (5, 3, 32, 32) and image.dtype == np.float32 and label.dtype == np.int32
        want = (data[:5].reshape(-1, 3, 32, 32) / 255.0 - np.array(mean)[None, :, None, None]) / \
            np.array(std)[None, :, None, None]
        np.testing.assert_allclose(image, want, atol=1e-4)
        np.testing.assert_array_equal(label, labels[:5])


def test_train_pipeline_augments_shuffles_with_seed_and_shards(tmp_path):
    write_python_layout(str(tmp_path), "cifar100", n_train=40)

    def first_labels(seed):
        ms.dataset.config.set_seed(seed)
        dataset = create_dataset("cifar100", str(tmp_path), "train", 40, num_workers=64)
        return next(dataset.create_tuple_iterator(output_numpy=True))[1]

    a, b = first_labels(3), first_labels(3)
    np.testing.assert_array_equal(a, b)
    assert sorted(a.tolist()) == sorted(range(40)) and a.tolist() != list(range(40))
    shards = [next(create_dataset("cifar100", str(tmp_path), "test", 100, num_shards=2, shard_id=i)
                   .create_tuple_iterator(output_numpy=True))[1] for i in (0, 1)]
    assert len(shards[0]) == len(shards[1]) == 6 and not set(shards[0]) & set(shards[1])
    crop = create_dataset("cifar100", str(tmp_path), "train", 40, shuffle=False)
    plain = create_dataset("cifar100", str(tmp_path), "train", 40, shuffle=False, augment=False)
    x_aug = next(crop.create_tuple_iterator(output_numpy=True))[0]
    x_plain = next(plain.create_tuple_iterator(output_numpy=True))[0]
    assert x_aug.shape == x_plain.shape and not np.allclose(x_aug, x_plain)


def test_labels_checked_against_n_classes(tmp_path):
    write_binary_layout(str(tmp_path), "cifar100")
    with pytest.raises(ValueError, match=r"n_classes=10; expected labels in \[0, 9\]"):
        create_dataset("cifar100", str(tmp_path), "train", 8, n_classes=10)
    other = tmp_path / "bad"
    write_binary_layout(str(other), "cifar10", bad_label=12)
    with pytest.raises(ValueError, match=r"labels span \[0, 12\]"):
        load_arrays("cifar10", str(other), "test")


def test_truncated_files_are_refused(tmp_path):
    folder, _ = write_binary_layout(str(tmp_path / "bin"), "cifar100")
    path = os.path.join(folder, "test.bin")
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) - 100)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_arrays("cifar100", str(tmp_path / "bin"), "test")
    folder, _ = write_python_layout(str(tmp_path / "py"), "cifar100")
    path = os.path.join(folder, "test")
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_arrays("cifar100", str(tmp_path / "py"), "test")


def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path):
    folder, _ = write_python_layout(str(tmp_path), "cifar100")
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    with open(os.path.join(folder, "test"), "wb") as f:
        pickle.dump({b"data": Evil(), b"fine_labels": [0]}, f, protocol=2)
    with pytest.raises(ValueError, match="posix.system|os.system|not allowed"):
        load_arrays("cifar100", str(tmp_path), "test")
    assert not marker.exists()


def test_missing_data_without_download(tmp_path):
    with pytest.raises(ValueError, match=r"cifar100 not found under .*cifar-100-python/ or cifar-100-binary/"):
        load_arrays("cifar100", str(tmp_path), "train", download=False)


def test_digits_fixed_stratified_split():
    train_x, train_y = load_digits("train")
    test_x, test_y = load_digits("test")
    assert train_x.shape == (1438, 32, 32, 3) and test_x.shape == (359, 32, 32, 3)
    assert train_x.dtype == np.uint8 and train_x.max() > 200
    assert np.all(np.bincount(test_y) >= 35) and np.all(np.bincount(test_y) <= 37)
    np.testing.assert_array_equal(load_digits("test")[1], test_y)
    dataset = create_dataset("digits", "", "test", 360)
    assert dataset.get_dataset_size() == 1


def test_digits_read_from_the_bundled_file_equal_scikit_learns_loader(monkeypatch):
    """The file read directly (no scikit-learn import) and the fallback through ``load_digits`` give the same arrays."""
    from sklearn.datasets import load_digits as sk_load_digits

    from ats_ms.data import digits
    assert digits._bundled_csv() is not None  # the direct read is what is compared below
    images, labels = digits.digits_arrays()
    bunch = sk_load_digits()
    np.testing.assert_array_equal(images, bunch.images)
    np.testing.assert_array_equal(labels, bunch.target)
    assert images.shape == (1797, 8, 8) and labels.dtype == np.int32
    monkeypatch.setattr(digits, "_bundled_csv", lambda: None)
    fallback = digits.digits_arrays()
    np.testing.assert_array_equal(fallback[0], images)
    np.testing.assert_array_equal(fallback[1], labels)


# ----- download path against a local HTTP server on 127.0.0.1 -----

def _archive_bytes(root, members=None):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        if members is None:
            write_binary_layout(str(root), "cifar100")
            tar.add(str(root / "cifar-100-binary"), arcname="cifar-100-binary")
        else:
            for info, payload in members:
                tar.addfile(info, io.BytesIO(payload) if payload is not None else None)
    return buf.getvalue()


class _Server:
    """Serves one archive with HTTP Range support; counts requests."""

    def __init__(self, payload):
        self.payload, self.requests = payload, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.headers.get("Range"))
                start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
                body = outer.payload[start:]
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/cifar-100-binary.tar.gz"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_download_checksum_extract_resume_and_no_redownload(tmp_path, capsys):
    payload = _archive_bytes(tmp_path / "src")
    md5 = hashlib.md5(payload).hexdigest()
    server = _Server(payload)
    data_dir = tmp_path / "data"
    try:
        data_dir.mkdir()
        (data_dir / ".cifar-100-binary.tar.gz.part").write_bytes(payload[:1000])
        assert download_cifar("cifar100", str(data_dir), url=server.url, md5=md5) == "binary"
        assert server.requests == ["bytes=1000-"]
        assert "[download]" in capsys.readouterr().err
        assert sorted(os.listdir(data_dir)) == ["cifar-100-binary"]
        assert load_arrays("cifar100", str(data_dir), "test")[0].shape == (12, 32, 32, 3)
        download_cifar("cifar100", str(data_dir), url=server.url, md5=md5)
        assert len(server.requests) == 1
        other = tmp_path / "other"
        with pytest.raises(ValueError, match="MD5 .* expected 0+; the file was deleted"):
            download_cifar("cifar100", str(other), url=server.url, md5="0" * 32)
        assert os.listdir(other) == []
    finally:
        server.close()


def test_failed_download_names_url_and_folder(tmp_path):
    with pytest.raises(ValueError, match=r"download of http://127.0.0.1:9/x.tar.gz failed .*put the extracted "
                                         r"cifar-100-binary/ \(or cifar-100-python/\)"):
        download_cifar("cifar100", str(tmp_path), url="http://127.0.0.1:9/x.tar.gz", md5="0" * 32, timeout=5)


@pytest.mark.parametrize("kind", ["absolute", "parent", "symlink", "device"])
def test_unsafe_archives_are_refused(tmp_path, kind):
    info = tarfile.TarInfo({"absolute": "/tmp/evil-abs", "parent": "cifar-100-binary/../../evil"}.get(
        kind, "cifar-100-binary/train.bin"))
    payload = b"x"
    if kind == "symlink":
        info.type, info.linkname, payload = tarfile.SYMTYPE, "/etc/passwd", None
    elif kind == "device":
        info.type, info.devmajor, info.devminor, payload = tarfile.CHRTYPE, 1, 3, None
    if payload is not None:
        info.size = len(payload)
    archive = _archive_bytes(None, [(info, payload)])
    server = _Server(archive)
    try:
        with pytest.raises(ValueError, match="refused"):
            download_cifar("cifar100", str(tmp_path / "d"), url=server.url, md5=hashlib.md5(archive).hexdigest())
    finally:
        server.close()
    assert not (tmp_path / "d" / "cifar-100-binary").exists() and not os.path.exists("/tmp/evil-abs")
    assert not (tmp_path / "evil").exists()


def _official_binary(root, seed=0):
    """cifar-100-binary with the official record counts (the C++ reader insists on them); cheap, mostly zeros."""
    folder = os.path.join(root, "cifar-100-binary")
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = {}
    for name, n in (("train.bin", 50000), ("test.bin", 10000)):
        records = np.zeros((n, 3074), np.uint8)
        records[:, 1] = rng.integers(0, 100, n)
        records[:, 0] = records[:, 1] % 20
        records[:, 2:2 + 64] = rng.integers(0, 256, (n, 64), dtype=np.uint8)
        records.tofile(os.path.join(folder, name))
        out[name] = records
    return out


def test_cpp_reader_reads_official_binary_files_like_the_numpy_path(tmp_path):
    records = _official_binary(str(tmp_path))
    assert official_binary("cifar100", str(tmp_path)) and not official_binary("cifar10", str(tmp_path))
    data = open_split("cifar100", str(tmp_path), "test")
    assert data.reader == "C++ reader" and data.images is None and data.size == 10000
    np.testing.assert_array_equal(data.labels, records["test.bin"][:, 1])
    fast = create_dataset("cifar100", str(tmp_path), "test", 500, data=data)
    slow = create_dataset("cifar100", str(tmp_path), "test", 500, arrays=load_arrays("cifar100", str(tmp_path), "test"))
    (a, la), (b, lb) = (next(d.create_tuple_iterator(output_numpy=True)) for d in (fast, slow))
    np.testing.assert_array_equal(la, lb)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert la.dtype == np.int32 and a.shape == (500, 3, 32, 32)
    subset = open_split("cifar100", str(tmp_path), "train", limit=100)
    assert subset.reader == "in memory" and subset.size == 100
    (tmp_path / "cifar-100-binary" / "test.bin").write_bytes(records["test.bin"][:-1].tobytes())
    assert open_split("cifar100", str(tmp_path), "test").reader == "in memory"  # not the official count


def test_worker_count_auto_and_capped():
    assert worker_count(0) == min(8, os.cpu_count() or 1)
    assert worker_count(64) == (os.cpu_count() or 1) and worker_count(1) == 1

"""Text figures (analyze chart, sweep heatmap shades) and the bench profiler's parsing of oneDNN verbose lines,
on fixed inputs with hand-worked answers."""
import pytest

from ats_ms.analysis import textplot
from ats_ms.bench import profile
from ats_ms.sweep.report import table_lines


def test_line_chart_places_points_on_log_axis():
    lines = textplot.line_chart([0.1, 1.0, 10.0], [("TS", "o", [0.0, 1.0, 2.0]), ("ATS", "+", [2.0, 2.0, 2.0])],
                                "t", height=5, width=11)
    plot = [ln.split("|", 1)[1] for ln in lines[1:6]]
    assert plot[0] == "+    +    +"          # ATS at 2.0 on every tau; TS's top point is drawn over
    assert plot[2] == "     o     "          # TS 1.0 at tau 1 (middle of the log axis), half height
    assert plot[4] == "o          "          # TS 0.0 at tau 0.1
    assert lines[1].split("|")[0].strip() == "2" and lines[5].split("|")[0].strip() == "0"
    assert lines[-1].split() == ["o", "TS", "+", "ATS"]


def test_shades_run_from_light_to_dark():
    assert [textplot.shade(v, 0.0, 1.0) for v in (0.0, 0.5, 1.0)] == [".", "+", "@"]
    assert textplot.shade(3.0, 3.0, 3.0) == "@"


def test_sweep_heatmap_text_marks_ts_and_shades():
    rows = [{"kd_way": "ATS", "tp_tau": tp, "t_tau": t, "last_mean": acc, "last_std": None, "seeds": 1,
             "ts_diagonal": tp == t} for tp, t, acc in ((1, 1, 0.2), (1, 2, 0.3), (2, 1, None), (2, 2, 0.25))]
    lines = table_lines(rows, "ATS", ("tp_tau", "t_tau"), "last_mean")
    assert lines[2].split() == ["1", "20.0*", ".", "30.0", "@"]
    assert lines[3].split() == ["2", "-", "25.0*", "+"]   # 0.25 is half way: SHADES[int(0.5 * 9)]
    rows[1].update(last_std=0.012, seeds=3)  # several seeds: mean ± sample std
    assert table_lines(rows, "ATS", ("tp_tau", "t_tau"), "last_mean")[2].split() == ["1", "20.0*", ".", "30.0±1.2", "@"]


VERBOSE = [
    "onednn_verbose,v1,primitive,exec,cpu,convolution,x64:gemm:jit,forward_training,src:f32::blocked:abcd::f0 "
    "dst:f32::blocked:abcd::f0,,alg:convolution_direct,mb128_ic16oc16_ih32oh32kh3sh1dh0ph1_iw32ow32kw3sw1dw0pw1,10",
    "@@ats_ms_bench_part teacher_forward",
    "onednn_verbose,v1,primitive,exec,cpu,convolution,x64:gemm:jit,forward_training,src:f32::blocked:abcd::f0 "
    "dst:f32::blocked:abcd::f0,,alg:convolution_direct,mb128_ic16oc16_ih32oh32kh3sh1dh0ph1_iw32ow32kw3sw1dw0pw1,10",
    "onednn_verbose,v1,primitive,exec,cpu,convolution,x64:gemm:jit,forward_training,src:f32::blocked:abcd::f0 "
    "dst:f32::blocked:abcd::f0,,alg:convolution_direct,mb128_ic16oc16_ih32oh32kh3sh1dh0ph1_iw32ow32kw3sw1dw0pw1,14",
    "some other line",
    "@@ats_ms_bench_part student_forward_backward",
    "onednn_verbose,v1,primitive,exec,cpu,convolution,x64:gemm:jit,backward_weights,src:f32::blocked:abcd::f0,,"
    "alg:convolution_direct,mb8_g2ic4oc8_ih4oh4kh1sh1dh0ph0_iw4ow4kw1sw1dw0pw0,1",
    "onednn_verbose,v1,primitive,exec,cpu,pooling,simple_nchw:any,backward_data,src:f32,,alg:pooling_max,"
    "mb8ic4_ih4oh2kh2sh2dh0ph0_iw4ow2kw2sw2dw0pw0,2",
    "onednn_verbose,v1,primitive,exec,cpu,matmul,gemm:jit:f32,undef,src:f32,,,8x4:4x10,0.5",
    "@@ats_ms_bench_part done",
    '@@ats_ms_bench_part_walls {"teacher_forward": 1.0}',
    "onednn_verbose,v1,primitive,exec,cpu,pooling,simple_nchw:any,forward_training,src:f32,,alg:pooling_max,x,99",
]


def test_parse_verbose_splits_by_part_and_category():
    parts = profile.parse_verbose(VERBOSE, steps=2)
    teacher = parts["teacher_forward"]
    assert teacher["onednn_s"] == {"conv fwd": pytest.approx(0.012)}           # (10 + 14) ms / 2 steps
    flops = 2 * 128 * 16 * 16 * 32 * 32 * 9 / 1e9                              # 0.604 GFLOP per call
    assert teacher["convs"] == [{"kind": "conv fwd", "shape": "ic16 oc16 out 32x32 k3 s1", "calls_per_step": 1.0,
                                 "ms_per_call": 12.0, "gflop_per_s": round(flops * 2 / 0.024, 1)}]
    grads = parts["student_forward_backward"]["onednn_s"]
    assert grads == {"conv bwd-weights": 0.0005, "pooling": 0.001, "matmul": 0.0003}   # rounded to 0.1 ms
    assert profile.conv_gflop("mb8_g2ic4oc8_ih4oh4kh1sh1dh0ph0_iw4ow4kw1sw1dw0pw0") == pytest.approx(
        2 * 8 * 8 * 2 * 4 * 4 / 1e9)
    assert "done" in parts and "pooling" in parts["done"]["onednn_s"]
    assert set(parts) == {"teacher_forward", "student_forward_backward", "done"}


def test_categories():
    assert profile.category("convolution", "forward_inference") == "conv fwd"
    assert profile.category("convolution", "backward_data") == "conv bwd-data"
    assert profile.category("batch_normalization", "backward") == "batch norm"
    assert profile.category("eltwise", "forward_training") == "other oneDNN"


def test_line_chart_leaves_out_non_finite_values():
    lines = textplot.line_chart([1.0, 10.0], [("TS", "o", [float("nan"), 1.0])], "t", height=3, width=5)
    assert [ln.split("|", 1)[1] for ln in lines[1:4]] == ["    o", "     ", "     "]

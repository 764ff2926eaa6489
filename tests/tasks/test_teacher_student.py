import numpy as np
import pytest
from hypothesis import given

from theorylab.tasks import TeacherStudentConfig, make_teacher_student
from theorylab.testing import assert_close, mc_tolerance
from theorylab.testing.strategies import teacher_student_configs


@given(teacher_student_configs())
def test_exact_statistics_have_the_prescribed_structure(config):
    task = make_teacher_student(config, rng=0)
    r = len(config.singular_values)
    sv = np.linalg.svd(task.sigma_yx, compute_uv=False)[:r]
    assert_close(np.sort(sv), np.sort(task.mode_strengths))
    assert_close(task.sigma_xx, task.sigma_xx.T)
    # the teacher's right singular vectors are eigenvectors of Sigma_xx with eigenvalues lam
    Vr = task.V[:, :r]
    assert_close(task.sigma_xx @ Vr, Vr * task.lam, scale=1.0)
    assert_close(task.U.T @ task.U, np.eye(r), scale=1.0)


def test_empirical_statistics_converge_to_exact_ones():
    cfg = TeacherStudentConfig(4, 3, (2.0, 1.0), noise_std=0.5, input_var=(2.0, 0.5))
    task = make_teacher_student(cfg, rng=3)
    n = 40_000
    smp = task.sample(n, rng=4)
    # entries of x x^T have variance <= 2 max(var)^2 here: a 4-sigma band on the mean of n draws
    assert np.all(np.abs(smp.sigma_xx - task.sigma_xx) <= mc_tolerance(np.sqrt(2) * 2.0, n))
    ystd = np.sqrt((task.teacher @ task.sigma_xx @ task.teacher.T).diagonal().max() + 0.25)
    assert np.all(np.abs(smp.sigma_yx - task.sigma_yx) <= mc_tolerance(ystd * np.sqrt(2.0), n))
    resid = smp.y - smp.x @ task.teacher.T
    assert abs(resid.std() - 0.5) <= mc_tolerance(0.5, resid.size)


def test_same_seed_same_task_and_samples():
    cfg = TeacherStudentConfig(5, 5, (1.0, 0.5))
    a, b = make_teacher_student(cfg, rng=9), make_teacher_student(cfg, rng=9)
    np.testing.assert_array_equal(a.teacher, b.teacher)
    np.testing.assert_array_equal(a.sample(10, rng=1).x, b.sample(10, rng=1).x)
    assert not np.array_equal(a.sample(10, rng=1).x, a.sample(10, rng=2).x)


@pytest.mark.parametrize("kwargs, param", [
    (dict(d_in=0, d_out=2, singular_values=(1.0,)), "d_in"),
    (dict(d_in=2, d_out=2, singular_values=(1.0, -1.0)), "singular_values"),
    (dict(d_in=2, d_out=2, singular_values=(1.0, 1.0, 1.0)), "singular_values"),
    (dict(d_in=2, d_out=2, singular_values=(1.0,), noise_std=-0.1), "noise_std"),
    (dict(d_in=2, d_out=2, singular_values=(1.0,), input_var=(1.0, 2.0)), "input_var"),
    (dict(d_in=2, d_out=2, singular_values=(1.0,), input_var=(0.0,)), "input_var"),
])
def test_bad_config(kwargs, param):
    with pytest.raises(ValueError, match=param):
        TeacherStudentConfig(**kwargs)

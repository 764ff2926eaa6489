"""Task generators with exact population statistics.

Each task is a frozen, validated config plus functions of ``(config, rng)``
returning samples and the exact quantities theory needs (``sigma_xx``,
``sigma_yx``, singular structure).
"""
from . import hierarchical, teacher_student
from ._samples import Samples
from .hierarchical import TreeConfig, TreeTask, make_tree_task, tree_singular_values
from .teacher_student import TeacherStudentConfig, TeacherStudentTask, make_teacher_student

__all__ = [
    "Samples",
    "TeacherStudentConfig",
    "TeacherStudentTask",
    "TreeConfig",
    "TreeTask",
    "hierarchical",
    "make_teacher_student",
    "make_tree_task",
    "teacher_student",
    "tree_singular_values",
]

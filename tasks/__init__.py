"""Task generators with exact population statistics.

Each task is a frozen, validated config plus functions of ``(config, rng)``
returning samples and the exact quantities theory needs (``sigma_xx``,
``sigma_yx``, singular structure).
"""
from . import (gaussian_mixture, graph_walks, hierarchical, polynomial_regression, shapes, structured_identity,
               teacher_student)
from ._samples import Samples
from .hierarchical import TreeConfig, TreeTask, make_tree_task, tree_singular_values
from .polynomial_regression import PolyRegressionConfig, PolyRegressionTask, make_poly_regression
from .structured_identity import SIMConfig, SIMTask, concept_mean, concept_rates, make_sim
from .teacher_student import TeacherStudentConfig, TeacherStudentTask, make_teacher_student

__all__ = [
    "shapes",
    "gaussian_mixture",
    "graph_walks",
    "PolyRegressionConfig",
    "PolyRegressionTask",
    "SIMConfig",
    "SIMTask",
    "Samples",
    "TeacherStudentConfig",
    "TeacherStudentTask",
    "TreeConfig",
    "TreeTask",
    "concept_mean",
    "concept_rates",
    "hierarchical",
    "polynomial_regression",
    "make_poly_regression",
    "make_sim",
    "make_teacher_student",
    "make_tree_task",
    "structured_identity",
    "teacher_student",
    "tree_singular_values",
]

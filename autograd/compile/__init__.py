"""The compiler: a traced graph as a program, through a pipeline you can print."""

from autograd.compile.ir import IR, Equation, Var
from autograd.compile.program import Program, TraceMismatchError, trace

__all__ = ["IR", "Equation", "Program", "TraceMismatchError", "Var", "trace"]

"""Exercises for the notebooks: `lessonNN` holds lesson NN's checkers, `solutions` the reference answers (for teachers).

In a notebook: `exercises = Exercises(lesson02)`, write the function the cell asks for, then call
`exercises.check_...(your_function)`: it says what is right, which value is off and by how much. A first miss gets
a hint naming the idea; a second miss, or `exercises.show_hint()`, adds code-level help. For a graded run, a
teacher turns hints off with `exercises.hints(False)` or the environment variable SCALARGRAD_HINTS=off.
The checkers never import `solutions`; tests/lessons/ runs every checker on its solution and on wrong answers.
"""

from nn.lessons.exercises import Exercises

__all__ = ["Exercises"]

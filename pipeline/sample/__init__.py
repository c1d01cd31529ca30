"""The bundled sample data generator (`svf sample`): test and demonstration data, kept apart
from the stages that a review runs."""

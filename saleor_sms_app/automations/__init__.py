"""Automations: the merchant's rules, which fire, what they re-check, and the ones that wait.

``rules`` says which rules fire for an event and an order, and to whom;
``conditions`` says whether an order still meets a rule's "send only if"
conditions (and which one fails); ``delayed`` carries out the scheduler's
``rule`` runs; ``caps`` and ``quiet_hours`` hold marketing texts back;
``ready_made`` holds the automations a new install gets switched off.
"""

"""Automations: rules that wait after their event, and what they re-check before sending.

``conditions`` says whether an order still meets a rule's "send only if"
conditions (and which one fails); ``delayed`` carries out the scheduler's
``rule`` runs; ``ready_made`` holds the automations a new install gets switched off.
"""

"""Telling a customer their turn is near: Web Push and SMS clients, the phone-number vault,
and the outbox that sends off the queue's path (a failing gateway never slows a call)."""
